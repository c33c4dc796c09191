// Tests run without the worker bundle: LayoutClient then lays out on the main thread.
export default "";
