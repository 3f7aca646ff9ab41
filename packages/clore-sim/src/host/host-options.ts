/** How an order's files and processes are kept apart from other orders' on this machine. */
export type IsolationSetting = 'auto' | 'namespace' | 'none';

/** How the rented "servers" behave (clore-api.md Part A 7, 10, 12, 13). Every field has a realistic default. */
export interface SimHostOptions {
  /**
   * Share (0..1) of an order's provisioning time it spends deploying (`mon_container` 1) before it
   * is deployed (2); the rest it spends created (0). Default 0.5. 0 = no visible deploying stage.
   */
  deployingShare?: number;
  /**
   * Real ms, uniform per order, that the order's sshd keeps refusing the order's key after the order
   * shows deployed ("Permission denied (publickey)"); it refuses it all through deploying too.
   * Default [500, 1500]. [0, 0] = the key is accepted the moment the order shows deployed.
   */
  keyRefusalAfterDeployedMs?: [number, number];
  /** Images that run their own sshd: those starting with one of these (default `['cloreai/']`). */
  sshdImagePrefixes?: string[];
  /**
   * Default true: an image that does not run its own sshd gets SSH only when create_order had
   * `autossh_entrypoint: true`; without it nothing answers on its SSH port. false = every order gets SSH.
   */
  autosshRequired?: boolean;
  /**
   * Chance (0..1) that a new order's port is one a recently ended order used (when one is free again),
   * served by a new sshd with a new host key. Default 0.3; 1 = always reuse a freed port when one is free.
   */
  portReuse?: number;
  /**
   * `namespace`: each order's sessions and startup command run in their own mount namespace where
   * `/root` and `/tmp` are the order's own directories (needs root and `unshare`); `none`: they share
   * this machine's filesystem, only HOME differs; `auto` (default): namespace when this machine
   * allows it, else none (logged).
   */
  isolation?: IsolationSetting;
}

export type ResolvedHostOptions = Required<SimHostOptions>;

function checkRange(name: string, range: [number, number]): [number, number] {
  if (!(range[0] >= 0) || !(range[1] >= range[0])) {
    throw new Error(`${name} must be [min, max] with 0 <= min <= max, got [${range.join(', ')}]`);
  }
  return range;
}

function checkShare(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) {
    throw new Error(`${name} must be between 0 and 1, got ${value}`);
  }
  return value;
}

export function resolveHostOptions(options: SimHostOptions = {}): ResolvedHostOptions {
  const isolation = options.isolation ?? 'auto';
  if (!['auto', 'namespace', 'none'].includes(isolation)) {
    throw new Error(`isolation must be auto, namespace or none, got ${isolation}`);
  }
  return {
    deployingShare: checkShare('deployingShare', options.deployingShare ?? 0.5),
    keyRefusalAfterDeployedMs: checkRange(
      'keyRefusalAfterDeployedMs',
      options.keyRefusalAfterDeployedMs ?? [500, 1500],
    ),
    sshdImagePrefixes: options.sshdImagePrefixes ?? ['cloreai/'],
    autosshRequired: options.autosshRequired ?? true,
    portReuse: checkShare('portReuse', options.portReuse ?? 0.3),
    isolation,
  };
}

/** Whether an order of `image` gets an sshd: its image brings one, it asked for autossh, or none is required. */
export function orderGetsSsh(image: string, autossh: boolean, options: ResolvedHostOptions): boolean {
  return (
    autossh ||
    !options.autosshRequired ||
    options.sshdImagePrefixes.some((prefix) => image.startsWith(prefix))
  );
}
