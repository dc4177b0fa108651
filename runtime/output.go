package runtime

// cappedBuffer collects one output stream up to a byte cap. Bytes past the
// cap are dropped, the buffer is marked truncated, and onOverflow runs once
// so the run can be stopped rather than left to spin until its timeout.
//
// Writes always report full success. Failing them would make the guest's
// own error handling the visible outcome (Rust's println! panics on a write
// error), masking the real cause, the output limit.
//
// It is written only from the guest's goroutine and read after the run.
type cappedBuffer struct {
	buf        []byte
	limit      int64
	truncated  bool
	onOverflow func()
}

func newCappedBuffer(limit int64, onOverflow func()) *cappedBuffer {
	return &cappedBuffer{limit: limit, onOverflow: onOverflow}
}

// Write implements io.Writer.
func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.append(p)
	return len(p), nil
}

// append keeps what fits of p and reports whether all of it did.
func (b *cappedBuffer) append(p []byte) bool {
	room := b.limit - int64(len(b.buf))
	if int64(len(p)) <= room {
		b.buf = append(b.buf, p...)
		return true
	}
	if room > 0 {
		b.buf = append(b.buf, p[:room]...)
	}
	if !b.truncated {
		b.truncated = true
		if b.onOverflow != nil {
			b.onOverflow()
		}
	}
	return false
}

// bytes returns the collected output; never nil, so that results compare
// equal whether or not anything was written.
func (b *cappedBuffer) bytes() []byte {
	if b.buf == nil {
		return []byte{}
	}
	return b.buf
}
