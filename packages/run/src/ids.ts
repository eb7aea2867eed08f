/** Container ids become directory names: only this shape is accepted (safety rule 5). */
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,1023}$/;

export function isValidId(id: string): boolean {
  return ID_RE.test(id);
}
