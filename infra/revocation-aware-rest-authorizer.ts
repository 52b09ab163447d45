/**
 * The same authorizer for a REST API (API Gateway v1), where the Rinne API's `x-api-key`
 * usage plans live: a Lambda REQUEST authorizer on the function this project deploys, and the
 * API's gateway responses set so that every protected method answers a refused token as the
 * logout does, in the contract's 401 envelope. In another stack:
 *
 *   const authorizer = RevocationAwareRestAuthorizer.fromStage(api, "sandbox");
 *   api.root.addResource("payments").addMethod("GET", integration, { authorizer });
 *
 * A backend reads the token's claims at `event.requestContext.authorizer`.
 */
import { Duration } from "aws-cdk-lib";
import {
  IdentitySource,
  RequestAuthorizer,
  ResponseType,
  type RestApiBase,
} from "aws-cdk-lib/aws-apigateway";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { ANSWERS, UNEXPECTED } from "../functions/http/problems.js";
import { authorizerFunctionByArn, stageAuthorizerFunction } from "./stage-authorizer-function.js";

export interface RevocationAwareRestAuthorizerProps {
  /**
   * How long API Gateway may reuse a decision for the same Authorization header: the window in
   * which a revoked token still passes. Default 0, no cache: a logout is refused at once.
   */
  resultsCacheTtl?: Duration;
}

const json = (error: Record<string, unknown>) => ({
  "application/json": JSON.stringify({ error }),
});
const PRIVATE = { "Content-Type": "'application/json'", "Cache-Control": "'no-store'" };
/** A gateway response's header values are quoted literals. */
const quoted = (headers: Readonly<Record<string, string>>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, `'${value}'`]));

export class RevocationAwareRestAuthorizer extends RequestAuthorizer {
  /**
   * The stage's authorizer for one REST API, with the API's gateway responses set. Call it for
   * each API to protect; a second call for the same API returns the first's authorizer.
   */
  static fromStage(
    api: RestApiWithResponses,
    stageName: string,
    props: RevocationAwareRestAuthorizerProps = {},
  ): RevocationAwareRestAuthorizer {
    const id = `RinneAuth-${stageName}`;
    const existing = api.node.tryFindChild(id);
    if (existing instanceof RevocationAwareRestAuthorizer) return existing;
    return new RevocationAwareRestAuthorizer(
      api,
      id,
      stageAuthorizerFunction(api, stageName),
      props,
    );
  }

  /**
   * The authorizer of a stage in another account of the organisation, by its function's ARN,
   * for a stage that names this account in `authorizerConsumerAccounts`; a second call for the
   * same API and function returns the first's.
   */
  static fromArn(
    api: RestApiWithResponses,
    functionArn: string,
    props: RevocationAwareRestAuthorizerProps = {},
  ): RevocationAwareRestAuthorizer {
    const handler = authorizerFunctionByArn(api, functionArn);
    const id = `RinneAuth-${handler.node.id}`;
    const existing = api.node.tryFindChild(id);
    if (existing instanceof RevocationAwareRestAuthorizer) return existing;
    return new RevocationAwareRestAuthorizer(api, id, handler, props);
  }

  constructor(
    api: RestApiWithResponses,
    id: string,
    handler: IFunction,
    props: RevocationAwareRestAuthorizerProps = {},
  ) {
    const resultsCacheTtl = props.resultsCacheTtl ?? Duration.seconds(0);
    super(api, id, {
      handler,
      // Without a cache, no identity source: a request with no Authorization header reaches
      // the function too, and is refused in the envelope like any other (API Gateway's own
      // answer would be a bare 401). A cache is keyed on the header, so it needs it.
      identitySources:
        resultsCacheTtl.toSeconds() === 0 ? [] : [IdentitySource.header("Authorization")],
      resultsCacheTtl,
    });
    for (const [type, statusCode, headers, body] of CONTRACT_RESPONSES) {
      if (api.node.tryFindChild(`Rinne${type.responseType}`)) continue;
      api.addGatewayResponse(`Rinne${type.responseType}`, {
        type,
        statusCode,
        responseHeaders: { ...PRIVATE, ...headers },
        templates: json(body),
      });
    }
  }
}

/** A REST API this construct can set gateway responses on. */
export type RestApiWithResponses = RestApiBase;

/**
 * The API's answers around the authorizer, in the contract's envelope. A gateway response
 * substitutes `$context` variables verbatim, escaping and computing nothing (no VTL), and its
 * headers are fixed per type: so a refusal's reason, path and ISO time come from the
 * authorizer's `Deny` context, escaped there, and its `WWW-Authenticate` says `invalid_token`
 * even when no token was sent. Where the authorizer gave no context, `path` is the resource's
 * (`/payments/{id}`), whose characters API Gateway restricts: the request's own path may hold a
 * `"` and would break the JSON.
 */
export const CONTRACT_RESPONSES: ReadonlyArray<
  readonly [ResponseType, string, Record<string, string>, Record<string, unknown>]
> = (
  [
    [
      ResponseType.ACCESS_DENIED,
      ANSWERS.invalidToken,
      {
        details: { reason: "$context.authorizer.reason" },
        path: "$context.authorizer.path",
        timestamp: "$context.authorizer.timestamp",
      },
    ],
    // Only with a results cache (an identity source): a request without the header.
    [
      ResponseType.UNAUTHORIZED,
      ANSWERS.credentialsMissing,
      { details: { reason: "Missing Authorization header" } },
    ],
    // The authorizer threw: it could not decide (the store or the keys down), or it timed out.
    [
      ResponseType.AUTHORIZER_FAILURE,
      ANSWERS.unavailable,
      { details: { reason: "Token verification unavailable" } },
    ],
    [
      ResponseType.AUTHORIZER_CONFIGURATION_ERROR,
      ANSWERS.internal,
      { details: { reason: UNEXPECTED } },
    ],
  ] as const
).map(([type, { status, code, message, headers }, fields]) => [
  type,
  String(status),
  quoted(headers),
  {
    code,
    message,
    status,
    path: "$context.resourcePath",
    ...fields,
    requestId: "$context.requestId",
  },
]);
