/** The worker bundle as a string; provided by js/build.mjs (and stubbed in tests). */
declare module "gradviz:worker-source" {
  const source: string;
  export default source;
}
