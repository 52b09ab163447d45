/** The authorizer as deployed before the warm-up: nothing starts before a request. */
import { authorizerHandlerFromEnvironment } from "../../functions/authorizer/authorizer-handler.js";

export const handler = authorizerHandlerFromEnvironment(process.env);
