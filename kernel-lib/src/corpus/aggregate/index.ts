export * from "./corpusAggregate";
export * from "./headAggregate";
export * from "./metricAggregate";
export * from "./sketch";
