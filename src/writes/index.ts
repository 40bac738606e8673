export {
  type ChangeEvents,
  type ChangeListener,
  createChangeEvents,
  type ImageChangeEvent,
  type ImageChangeKind,
} from "./change-events.ts";
export {
  createWrites,
  type NewVariant,
  type UpdatedImage,
  type VariantChange,
  type WriteScope,
  type Writes,
} from "./write-path.ts";
