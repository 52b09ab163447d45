/** Lambda entry point of the revocation events' publisher, fed by the table's stream. */
import { publisherHandlerFromEnvironment } from "./publisher-handler.js";

export const handler = publisherHandlerFromEnvironment(process.env);
