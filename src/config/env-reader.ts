/** The environment as the configuration sees it: `process.env` at start, a plain object in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

interface Declared {
  readonly name: string;
  /** One line for the configuration reference. */
  readonly description: string;
  /** How the default reads in the reference when it depends on other settings (the reader passes it). */
  readonly defaultText?: string;
  /** Its value is a credential: never echoed in an error. */
  readonly secret?: boolean;
}

export interface IntegerVariable extends Declared {
  readonly type: "integer";
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** Words accepted besides a number (`off`), read by the area's own reader. */
  readonly alsoAccepts?: readonly string[];
}

/** A number in (0, 1]. */
export interface FractionVariable extends Declared {
  readonly type: "fraction";
  readonly default: number;
}

export interface BooleanVariable extends Declared {
  readonly type: "boolean";
  readonly default?: boolean;
}

export interface ChoiceVariable<T extends string = string> extends Declared {
  readonly type: "choice";
  readonly values: readonly T[];
  readonly default?: T;
}

/** An http(s) URL, kept without its trailing slash. */
export interface UrlVariable extends Declared {
  readonly type: "url";
  readonly default?: string;
}

/** Free text, parsed by its area's reader; `format` says what it accepts. */
export interface TextVariable extends Declared {
  readonly type: "text";
  readonly format: string;
  readonly default?: string;
}

export type Variable =
  | IntegerVariable
  | FractionVariable
  | BooleanVariable
  | ChoiceVariable
  | UrlVariable
  | TextVariable;

type Declaration<V extends Variable> =
  V extends ChoiceVariable<infer T> ? Omit<ChoiceVariable<T>, "name"> : Omit<V, "name">;

/**
 * An area's variables, keyed by name: the reader takes each one from here, and the configuration
 * reference (`npm run docs`) lists them from here, without running any reader.
 */
export function declareVariables<const T extends Record<string, Declaration<Variable>>>(
  declarations: T,
): { readonly [K in keyof T & string]: T[K] & { readonly name: K } } {
  const named = Object.fromEntries(
    Object.entries(declarations).map(([name, declaration]) => [name, Object.freeze({ ...declaration, name })]),
  );
  return Object.freeze(named) as unknown as { readonly [K in keyof T & string]: T[K] & { readonly name: K } };
}

export class ConfigError extends Error {
  constructor(problems: string[]) {
    // One problem (the usual case) reads as one line; several as a list, one variable per line.
    super(
      problems.length === 1
        ? `Invalid configuration: ${problems[0]}`
        : `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "ConfigError";
  }
}

/**
 * Reads declared variables, collecting every problem (named by its variable) instead of stopping at
 * the first. A variable is read once: a second read is a programming error, not a configuration one.
 */
export class EnvReader {
  readonly #env: Env;
  readonly #problems: string[];
  readonly #read = new Set<string>();

  constructor(env: Env, problems: string[]) {
    this.#env = env;
    this.#problems = problems;
  }

  /** A problem that no single variable's check finds (two variables that disagree, a file). */
  problem(message: string): void {
    this.#problems.push(message);
  }

  /** The trimmed value, or undefined when unset or empty. */
  raw(variable: Variable): string | undefined {
    if (this.#read.has(variable.name)) throw new Error(`${variable.name} is read twice: one reader per variable`);
    this.#read.add(variable.name);
    const value = this.#env[variable.name]?.trim();
    return value === "" ? undefined : value;
  }

  text(variable: TextVariable): string | undefined {
    return this.raw(variable) ?? variable.default;
  }

  integer(variable: IntegerVariable, fallback: number = variable.default): number {
    const { name, min, max } = variable;
    const raw = this.raw(variable);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      this.#problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  boolean(variable: BooleanVariable, fallback: boolean | undefined = variable.default): boolean {
    if (fallback === undefined) throw new Error(`${variable.name} has no default: its reader must pass one`);
    const raw = this.raw(variable);
    if (raw === undefined) return fallback;
    if (raw === "true" || raw === "false") return raw === "true";
    this.#problems.push(`${variable.name} must be true or false (got "${raw}")`);
    return fallback;
  }

  fraction(variable: FractionVariable): number {
    const raw = this.raw(variable);
    if (raw === undefined) return variable.default;
    const value = Number(raw);
    if (!/^\d*\.?\d+$/.test(raw) || !(value > 0 && value <= 1)) {
      this.#problems.push(`${variable.name} must be a number above 0 and at most 1 (got "${raw}")`);
      return variable.default;
    }
    return value;
  }

  /** Unset gives the default (undefined when there is none); a value not listed is a problem and gives undefined. */
  choice<T extends string>(variable: ChoiceVariable<T>): T | undefined {
    const raw = this.raw(variable);
    if (raw === undefined) return variable.default;
    if ((variable.values as readonly string[]).includes(raw)) return raw as T;
    this.#problems.push(`${variable.name} must be one of ${variable.values.join(", ")} (got "${raw}")`);
    return undefined;
  }

  /** An invalid value is a problem and gives the default, or "" when there is none (the variable was given). */
  url(variable: UrlVariable): string | undefined {
    const raw = this.raw(variable);
    if (raw === undefined) return variable.default;
    try {
      const url = new URL(raw);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("protocol");
      return raw.replace(/\/$/, "");
    } catch {
      this.#problems.push(
        variable.secret
          ? `${variable.name} must be an http(s) URL`
          : `${variable.name} must be an http(s) URL (got "${raw}")`,
      );
      return variable.default ?? "";
    }
  }
}
