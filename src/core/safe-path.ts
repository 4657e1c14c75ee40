// Resolves a stream's relative file name inside its storage folder, refusing anything that would
// read outside it: absolute names, dot segments, and symlinks whose target leaves the folder.

import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { HlsError } from './errors.js';

/**
 * Returns the real path of `relative` (segments joined with `/`, already decoded) under `root`.
 * Throws BAD_PATH for a name that is not a plain relative path and NOT_FOUND when the file does
 * not exist or resolves (through symlinks) to a place outside `root`.
 */
export async function resolveInside(root: string, relative: string): Promise<string> {
  if (relative === '' || relative.startsWith('/') || path.isAbsolute(relative)) {
    throw new HlsError('BAD_PATH', 'malformed path: not a relative file name');
  }
  // Segments were decoded once already; re-checking them catches names built from other sources.
  for (const segment of relative.split('/')) {
    if (segment === '' || segment === '.' || segment === '..' || /[\u0000\\]/.test(segment)) {
      throw new HlsError('BAD_PATH', 'malformed path: bad file name');
    }
  }
  const realRoot = await realpath(root).catch(() => {
    throw new HlsError('NOT_FOUND', 'storage folder not found');
  });
  let real: string;
  try {
    real = await realpath(path.join(realRoot, relative));
  } catch {
    throw new HlsError('NOT_FOUND', `file not found: ${relative}`);
  }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
    throw new HlsError('NOT_FOUND', `file not found: ${relative}`);
  }
  return real;
}
