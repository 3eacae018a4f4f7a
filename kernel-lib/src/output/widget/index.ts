export {
  AttentionWidget,
  NO_COMMS_NOTE,
  type TextRunner,
  WIDGET_VIEW_MIME,
  type WidgetEvents,
  type WidgetInput,
  type WidgetOptions,
  widget,
} from "./attentionWidget";
export type { WidgetSelection } from "./fields";
export type { LongInput } from "./tiles";
