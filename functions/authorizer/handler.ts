/**
 * Lambda entry point of the revocation-aware API Gateway authorizer. Configuration and clients
 * are made once, at cold start; a bad configuration fails here, naming the variable.
 */
import { authorizerHandlerFromEnvironment } from "./authorizer-handler.js";

// Its keys' fetch and DynamoDB's connection start now, beside each other.
export const handler = authorizerHandlerFromEnvironment(process.env, { warmUp: true });
