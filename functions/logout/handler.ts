/**
 * Lambda entry point of POST /v1/auth/logout. Configuration and clients are made once, at
 * cold start; a bad configuration fails here, naming the variable.
 */
import { logoutHandlerFromEnvironment } from "./logout-handler.js";

export const handler = logoutHandlerFromEnvironment(process.env);
