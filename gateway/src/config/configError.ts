/** A configuration mistake, found at startup. `path` names the option (`limits.maxBodyBytes`). */
export class ConfigError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(path ? `Invalid configuration at "${path}": ${reason}` : `Invalid configuration: ${reason}`);
    this.name = 'ConfigError';
  }
}
