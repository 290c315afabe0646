/** Printing a database URL without its secrets. */

/** A PostgreSQL URL fit to print: the password and any password-like query parameter masked. */
export function redactPostgresUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '(a PostgreSQL URL that does not parse; not shown)';
  }
  if (url.password !== '') url.password = '***';
  for (const key of [...url.searchParams.keys()]) {
    if (/pass|secret|key|token|cert/i.test(key)) url.searchParams.set(key, '***');
  }
  return url.toString();
}
