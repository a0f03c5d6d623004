export const DEFAULT_CONTACT_URL = 'https://github.com/redline-archive/redline';

/** Redline names itself and a contact URL in every request it makes. */
export function userAgentFor(contactUrl: string): string {
  return `Mozilla/5.0 (compatible; Redline/0.1; +${contactUrl})`;
}
