/** A workdir upload's name: the SHA-256 of its tar.gz, 64 lowercase hex digits (docs/decisions/0137). */
export const UPLOAD_SHA256 = /^[0-9a-f]{64}$/;
