import { describe, expect, it } from "vitest";
import * as errors from "../../../functions/domain/errors.js";

describe("the domain's errors", () => {
  // A minified bundle renames classes: each error names itself, as it is exported.
  it.each(Object.entries(errors))("%s names itself", (exported, errorClass) => {
    const error = Reflect.construct(errorClass, ["a message", { cause: new Error("cause") }]);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(exported);
    expect(String(error)).toMatch(new RegExp(`^${exported}: `));
  });
});
