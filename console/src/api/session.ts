/**
 * Where the AccessKey pair lives while the person works: this tab's sessionStorage only (gone when
 * the tab closes; never a cookie, never sent to the service: only signatures are). "Sign out"
 * forgets it.
 */
import type { AccessKey } from './sign-v3.ts';

const STORAGE_KEY = 'opendi.console.accessKey';

export function loadAccessKey(): AccessKey | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const k = JSON.parse(raw) as Partial<AccessKey>;
    return typeof k.accessKeyId === 'string' && typeof k.accessKeySecret === 'string' ? { accessKeyId: k.accessKeyId, accessKeySecret: k.accessKeySecret } : null;
  } catch {
    return null;
  }
}

export function saveAccessKey(key: AccessKey): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(key));
}

export function forgetAccessKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
