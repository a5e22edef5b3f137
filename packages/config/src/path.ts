// Error paths: segments while validating, `addressPools[1].addresses[0]` when shown.

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `addressPools[1].matchLabels["kubernetes.io/hostname"]`: indices in brackets, odd keys quoted. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** A problem found while validating, before its path is formatted and its position looked up. */
export interface Issue {
  readonly path: Path;
  readonly message: string;
}
