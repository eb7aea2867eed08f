import type { GeneratedValidator } from "./validate.js";
export declare const validateConfigStrict: GeneratedValidator;
