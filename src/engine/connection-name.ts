/**
 * The cluster node a connection belongs to, read from its name (README "Running several nodes":
 * `opendi:<node>:<task>` and `opendi:<node>:target-pool`; PostgreSQL application_name, MySQL
 * program_name). The node is everything before the last colon (node names may contain colons, the
 * last part never does); undefined for a name of another form.
 */
export function nodeOfConnection(name: string): string | undefined {
  return /^opendi:(.+):[^:]+$/.exec(name)?.[1];
}
