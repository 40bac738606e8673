/**
 * A request whose credentials are missing, malformed, unknown or expired. The message is shown
 * to the caller, so it names what is wrong without echoing the credential.
 */
export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuthenticationError";
  }
}

/** The bearer credential of a request, or an AuthenticationError when it has none. */
export function bearerCredential(request: Request): string {
  const header = request.headers.get("authorization");
  if (header === null) throw new AuthenticationError("Send credentials as `Authorization: Bearer <credential>`.");
  const match = /^Bearer +(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new AuthenticationError("The Authorization header must be `Bearer <credential>`.");
  return match[1];
}
