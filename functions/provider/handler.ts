/**
 * Lambda entry point of the identity provider's sign-outs (back-channel logout, Cognito's own).
 * Configuration and clients are made once, at cold start.
 */
import { providerHandlerFromEnvironment } from "./provider-handler.js";

export const handler = providerHandlerFromEnvironment(process.env);
