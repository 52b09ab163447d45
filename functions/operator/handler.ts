/**
 * Lambda entry point of the operator's sign-out (incident response). Configuration and clients
 * are made once, at cold start; a bad configuration fails here, naming the variable.
 */
import { operatorHandlerFromEnvironment } from "./operator-handler.js";

export const handler = operatorHandlerFromEnvironment(process.env);
