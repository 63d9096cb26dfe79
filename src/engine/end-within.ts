/**
 * A polite goodbye to a database server when it answers within `ms`, else the socket is destroyed:
 * a server that stops answering must not hold a close (the standards' bounded connections).
 */
export async function endWithin(ending: Promise<void>, ms: number, destroy: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), ms); });
  const outcome = await Promise.race([ending.then(() => 'ok' as const, () => 'failed' as const), late]);
  clearTimeout(timer);
  if (outcome !== 'ok') destroy();
}
