export { type Agreement, metricsAgreement, rolloutAgreement } from "./agreement";
export { type InGraphPlan, planInGraphMetrics } from "./plan";
export { ROW_METRICS } from "./rowMetrics";
export type { InGraphOptions, MeasuredSite, MeasureOptions, MeasureResult } from "./types";
