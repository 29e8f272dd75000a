/** The plain-Node bundles (CLI, engine worker, service host) into `outdir`, as they ship. */
export function bundleNode(outdir: string): Promise<void>;
