// Cross-checks the Bridge RTM msgpack codec against msgpack-lite (the codec of the RTM JS SDK),
// configured like the SDK: int64 enabled (d3 -> Int64BE, cf -> Uint64BE).
//
// stdin:  {"encode": [value...], "decode": ["hex"...]}
// stdout: {"encoded": ["hex"...], "decoded": [value...]}
//
// A value is {"t": type, "v": ...}: nil, bool, int (a plain JS number), i64 (Int64BE), u64
// (Uint64BE), f64 (a plain JS number written as float64), str, bin (hex), arr ([value...]),
// map ([[key, value]...]). Decoded numbers come back as {"t":"num","v":String(n)}.
"use strict";

const msgpack = require("msgpack-lite");
const { Int64BE, Uint64BE } = require("int64-buffer");

const codec = msgpack.createCodec({ int64: true });

function build(d) {
  switch (d.t) {
    case "nil": return null;
    case "bool": return d.v;
    case "int": case "f64": return Number(d.v);
    case "i64": return new Int64BE(d.v, 10);
    case "u64": return new Uint64BE(d.v, 10);
    case "str": return d.v;
    case "bin": return Buffer.from(d.v, "hex");
    case "arr": return d.v.map(build);
    case "map": {
      const o = {};
      for (const [k, v] of d.v) o[k] = build(v);
      return o;
    }
    default: throw new Error("unknown type " + d.t);
  }
}

function describe(x) {
  if (x === null || x === undefined) return { t: "nil" };
  if (typeof x === "boolean") return { t: "bool", v: x };
  if (typeof x === "number") return { t: "num", v: String(x) };
  if (typeof x === "string") return { t: "str", v: x };
  if (Int64BE.isInt64BE(x)) return { t: "i64", v: x.toString(10) };
  if (Uint64BE.isUint64BE(x)) return { t: "u64", v: x.toString(10) };
  if (Buffer.isBuffer(x)) return { t: "bin", v: x.toString("hex") };
  if (Array.isArray(x)) return { t: "arr", v: x.map(describe) };
  if (typeof x === "object") return { t: "map", v: Object.keys(x).map((k) => [k, describe(x[k])]) };
  return { t: "unknown", v: String(x) };
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const request = JSON.parse(input);
  const encoded = (request.encode || []).map((d) => msgpack.encode(build(d), { codec }).toString("hex"));
  const decoded = (request.decode || []).map((hex) => {
    try {
      return describe(msgpack.decode(Buffer.from(hex, "hex"), { codec }));
    } catch (e) {
      return { t: "error", v: String(e && e.message) };
    }
  });
  process.stdout.write(JSON.stringify({ encoded, decoded }));
});
