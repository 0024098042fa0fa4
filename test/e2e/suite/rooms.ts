import type { Section } from "../suite.ts";

const section: Section = (_target) => {};
export default section;
