// Config problems: each names the JSON path of a field and says what is wrong with it, so
// `check-config` can print one `path.to.field: message` line per problem (SPEC §2).
import { HlsError } from '../core/errors.js';

/** One thing wrong with the configuration: a dotted JSON path (or `(root)`) and a message. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** The path shown for problems of the file as a whole (unreadable file, JSON syntax). */
export const ROOT_PATH = '(root)';

/** A dotted path from path segments (`['applications', 'vod', 'hls']` gives `applications.vod.hls`). */
export function joinPath(segments: readonly PropertyKey[]): string {
  return segments.length === 0 ? ROOT_PATH : segments.map(String).join('.');
}

/** One `path.to.field: message` line per problem. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('\n');
}

/** An invalid configuration: code CONFIG_INVALID, with the problems that make it so. */
export class ConfigError extends HlsError {
  readonly problems: readonly ConfigProblem[];

  constructor(file: string, problems: readonly ConfigProblem[], options?: { cause?: unknown }) {
    super('CONFIG_INVALID', `invalid configuration ${file}:\n${formatProblems(problems)}`, options);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
