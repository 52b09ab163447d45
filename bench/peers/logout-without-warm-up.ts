/** The logout function as deployed before the warm-up: nothing starts before a request. */
import { logoutHandlerFromEnvironment } from "../../functions/logout/logout-handler.js";

export const handler = logoutHandlerFromEnvironment(process.env);
