/**
 * The revocation table's stream, where DynamoDB Streams cannot run (dynalite has none): a proxy
 * on 127.0.0.1 in front of the local table that turns each `PutItem` that changed an item into
 * the change record DynamoDB Streams writes for it (view type NEW_AND_OLD_IMAGES, in the format
 * Lambda delivers): the item before, read in the same write (`ReturnValues: ALL_OLD`), and the
 * item written. A write that changed nothing, or that its condition refused, has no record, as
 * in DynamoDB. A stand-in: only `PutItem`, the one write the functions make; TTL's deletions
 * have no record here.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { isDeepStrictEqual } from "node:util";
import type { DynamoDBRecord } from "aws-lambda";
import { REVOCATION_TABLE } from "../functions/revocation/revocation-table.js";

export interface TableStream {
  /** Where the functions send their DynamoDB calls instead. */
  endpoint: string;
  /** Every record written, in order. */
  records: DynamoDBRecord[];
  /** The records written since the last call: a batch, as Lambda would deliver it. */
  take(): DynamoDBRecord[];
  stop(): Promise<void>;
}

export async function startTableStream(
  target: string,
  {
    region = "us-east-1",
    onRecord,
  }: { region?: string; onRecord?: (record: DynamoDBRecord) => void } = {},
): Promise<TableStream> {
  const records: DynamoDBRecord[] = [];
  let taken = 0;
  let sequence = 0;
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const operation = String(request.headers["x-amz-target"] ?? "").split(".")[1];
    let body = Buffer.concat(chunks);
    const put = operation === "PutItem" ? JSON.parse(body.toString()) : undefined;
    const tapped = put !== undefined && put.ReturnValues === undefined;
    if (tapped) body = Buffer.from(JSON.stringify({ ...put, ReturnValues: "ALL_OLD" }));
    // The signature covered the body as sent; dynalite checks that there is one, not what it signs.
    const { "content-length": _length, ...headers } = request.headers;
    let upstream: Response;
    try {
      upstream = await fetch(target, {
        method: "POST",
        headers: headers as Record<string, string>,
        body,
      });
    } catch {
      response.socket?.destroy();
      return;
    }
    let text = await upstream.text();
    if (tapped && upstream.ok) {
      const { Attributes: oldImage, ...answer } = JSON.parse(text || "{}");
      text = JSON.stringify(answer);
      if (!isDeepStrictEqual(oldImage, put.Item)) {
        const record = changeRecord(put.TableName, put.Item, oldImage, ++sequence, region);
        records.push(record);
        onRecord?.(record);
      }
    }
    response.writeHead(upstream.status, { "Content-Type": "application/x-amz-json-1.0" });
    response.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    records,
    take() {
      const batch = records.slice(taken);
      taken = records.length;
      return batch;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function changeRecord(
  tableName: string,
  newImage: Record<string, unknown>,
  oldImage: Record<string, unknown> | undefined,
  sequence: number,
  region: string,
): DynamoDBRecord {
  const { partitionKey } = REVOCATION_TABLE;
  return {
    eventID: randomUUID().replaceAll("-", ""),
    eventName: oldImage ? "MODIFY" : "INSERT",
    eventVersion: "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: region,
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
      Keys: { [partitionKey]: newImage[partitionKey] },
      NewImage: newImage,
      ...(oldImage ? { OldImage: oldImage } : {}),
      SequenceNumber: String(sequence).padStart(21, "0"),
      SizeBytes: JSON.stringify(newImage).length + JSON.stringify(oldImage ?? {}).length,
      StreamViewType: "NEW_AND_OLD_IMAGES",
    } as DynamoDBRecord["dynamodb"],
    eventSourceARN: `arn:aws:dynamodb:${region}:000000000000:table/${tableName}/stream/2026-01-01T00:00:00.000`,
  };
}
