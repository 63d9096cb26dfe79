/**
 * The operator's allow-list of where data sources may point (`--allowed-hosts` /
 * OPENDI_ALLOWED_HOSTS): comma-separated networks (10.0.0.0/8, fd00::/8), addresses, host
 * names (db.example.com) and name suffixes (*.db.example.com). Checked when a data source is
 * created or updated, and again before each connection, after DNS resolution: a name that is
 * listed is trusted as such; any other name is allowed only when every address it resolves to
 * lies in a listed network (so a name re-pointed at an internal address later is refused then).
 */
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

export class HostAllowList {
  private readonly networks = new BlockList();
  private readonly names = new Set<string>();
  private readonly suffixes: string[] = [];

  private constructor(readonly text: string) {}

  /** Parses the operator's list; throws naming the entry that is not a network, address or name. */
  static parse(text: string): HostAllowList {
    const list = new HostAllowList(text);
    const entries = text.split(',').map((s) => s.trim()).filter(Boolean);
    if (entries.length === 0) throw new Error('the allow-list is empty');
    for (const entry of entries) list.add(entry);
    return list;
  }

  private add(entry: string): void {
    const slash = entry.indexOf('/');
    const addr = (slash < 0 ? entry : entry.slice(0, slash)).replace(/^\[|\]$/g, '');
    const family = isIP(addr);
    if (family !== 0) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (slash < 0) { this.networks.addAddress(addr, type); return; }
      const prefix = Number(entry.slice(slash + 1));
      if (!/^\d{1,3}$/.test(entry.slice(slash + 1)) || prefix > (family === 4 ? 32 : 128)) throw new Error(`allow-list entry ${entry} has a bad prefix length`);
      this.networks.addSubnet(addr, prefix, type);
      return;
    }
    const name = entry.toLowerCase();
    if (/^\*\.[a-z0-9.-]+$/.test(name)) { this.suffixes.push(name.slice(1)); return; }
    if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(name)) throw new Error(`allow-list entry ${entry} is not a network, an address or a host name`);
    this.names.add(name);
  }

  private nameListed(host: string): boolean {
    const h = host.toLowerCase();
    return this.names.has(h) || this.suffixes.some((s) => h.endsWith(s));
  }

  private addressAllowed(address: string): boolean {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const a = mapped ? mapped[1] : address;
    return this.networks.check(a, isIP(a) === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The addresses to connect to when `host` may be reached (the name itself when it is listed:
   * the driver resolves it), or undefined when it may not.
   */
  async resolve(host: string): Promise<string[] | undefined> {
    if (isIP(host) !== 0) return this.addressAllowed(host) ? [host] : undefined;
    if (this.nameListed(host)) return [host];
    let addresses: string[];
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      return undefined;
    }
    return addresses.length > 0 && addresses.every((a) => this.addressAllowed(a)) ? addresses : undefined;
  }
}
