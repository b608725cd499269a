// Jest's ESM mode, for `npm run test:esm` (node --experimental-vm-modules): the same sms.test.ts,
// compiled by ts-jest to `import` instead of `require`, so @mockingbird/testing's ESM build is
// what loads. `npm test` is the usual CommonJS mode, with package.json's "jest" config.
/** @type {import("jest").Config} */
module.exports = {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: { module: "ES2022", moduleResolution: "Bundler" } }],
  },
};
