/**
 * Lambda entry point of POST /v1/auth/logout. Configuration and clients are made once, at
 * cold start; a bad configuration fails here, naming the variable.
 */
import { logoutHandlerFromEnvironment } from "./logout-handler.js";

// Its keys' fetch and DynamoDB's connection start now, beside each other.
export const handler = logoutHandlerFromEnvironment(process.env, { warmUp: true });
