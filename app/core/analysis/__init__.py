"""Analysis: source -> face detection -> tracking -> crops -> classifier -> FrameResult."""
