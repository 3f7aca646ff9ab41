/**
 * Output paths are absolute paths inside the container, collected after the command ends. They are
 * later joined under the job's output directory, so they must not climb out of it.
 */
export const OUTPUT_PATH_MAX_LENGTH = 4_096;
export const OUTPUTS_MAX_COUNT = 64;

/** Why `path` is not an acceptable output path, or undefined when it is. */
export function outputPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) {
    return 'must be an absolute path (start with /)';
  }
  if (path.includes('\0')) {
    return 'must not contain a NUL character';
  }
  if (path.split('/').includes('..')) {
    return "must not contain a '..' segment";
  }
  return undefined;
}
