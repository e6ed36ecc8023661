/**
 * The port between the model service and wherever model packages are kept. The repository only
 * answers what is there; which versions load, and when, is the model service's decision. The
 * filesystem adapter (MODEL_DIR) is the one in use; tests and other stores can provide their own.
 */
export const MODEL_REPOSITORY = Symbol('MODEL_REPOSITORY');

export interface ModelRepository {
  /** Where a model (or the whole repository, without a name) is kept, for messages and logs. */
  location(name?: string): string;
  /** Names of the models that hold at least one version, ascending. */
  listModels(): Promise<string[]>;
  /** Integer version names of a model, ascending; none for an unknown model. */
  listVersions(name: string): Promise<string[]>;
  /** Changes whenever the version's content changes; 'unreadable' when it cannot be read. */
  fingerprint(name: string, version: string): Promise<string>;
  /** The model's version_policy.json as text, or undefined when it has none. */
  readPolicy(name: string): Promise<string | undefined>;
  /** The local folder the runtime loads a version's package from. */
  versionDir(name: string, version: string): string;
}
