import { usePersistedOperations } from "@graphql-yoga/plugin-persisted-operations";
import type { Plugin } from "graphql-yoga";
import { limitError } from "../../errors.ts";

/** Only documents from the manifest run, named by `documentId` or by APQ's `sha256Hash`. */
export function useTrustedDocuments(documents: ReadonlyMap<string, string>): Plugin {
  const refuse = (message: string) => () => limitError(message, "trustedDocuments");
  return usePersistedOperations({
    allowArbitraryOperations: false,
    getPersistedOperation: (id) => documents.get(id) ?? null,
    extractPersistedOperationId: (params) => {
      const body = params as { documentId?: unknown; extensions?: { persistedQuery?: { sha256Hash?: unknown } } };
      const id = body.documentId ?? body.extensions?.persistedQuery?.sha256Hash;
      return typeof id === "string" ? id : null;
    },
    customErrors: {
      persistedQueryOnly: refuse("Only trusted documents run here: send `documentId` instead of `query`."),
      keyNotFound: refuse("Send the trusted document's id as `documentId`."),
      notFound: refuse("No trusted document has this id."),
    },
  });
}
