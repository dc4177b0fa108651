//! Guest side of rocket-sandbox's virtual socket.
//!
//! On wasm32-wasip1 there is no network the guest may reach. Instead the
//! host (the Go service, through wazero) queues "connections": byte streams
//! it writes requests into and reads responses from. This crate exposes them
//! as a listener and tokio streams so Rocket's unmodified server loop can
//! serve them. On any other target the listener has no connections, so code
//! that names it still builds natively.
//!
//! The host ABI (module `sandbox_vsock`, all values i32):
//! - `accept() -> id`: the next queued connection, or -1 when none is left;
//! - `recv(id, ptr, len) -> n`: n > 0 bytes read, 0 at end of stream,
//!   -1 when nothing is available yet, < -1 on error;
//! - `send(id, ptr, len) -> n`: bytes accepted, < 0 on error;
//! - `close(id) -> status`: the guest is done with the connection.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

mod host;

/// Connections handed out and not yet closed, and who waits for them.
#[derive(Debug, Default)]
struct Open {
    count: usize,
    waiter: Option<Waker>,
}

/// A listener over the host's queued connections.
#[derive(Debug, Default)]
pub struct VirtualListener {
    exhausted: bool,
    open: Arc<Mutex<Open>>,
}

impl VirtualListener {
    pub fn new() -> Self {
        Self::default()
    }

    /// Polls for the next connection. `Ready(None)` means the host has no
    /// more connections and every accepted one has been closed: the server
    /// has nothing left to do and should shut down. Waiting for the open
    /// ones first matters because a shutdown cancels in-flight I/O.
    pub fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<Option<VirtualStream>> {
        if !self.exhausted {
            if let Some(id) = host::accept() {
                self.open.lock().expect("vsock state").count += 1;
                let open = Arc::clone(&self.open);
                return Poll::Ready(Some(VirtualStream { id, closed: false, open }));
            }
            self.exhausted = true;
        }
        let mut open = self.open.lock().expect("vsock state");
        if open.count == 0 {
            return Poll::Ready(None);
        }
        open.waiter = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// One host-supplied connection.
#[derive(Debug)]
pub struct VirtualStream {
    id: i32,
    closed: bool,
    open: Arc<Mutex<Open>>,
}

impl VirtualStream {
    /// The host's id of this connection.
    pub fn id(&self) -> i32 {
        self.id
    }

    fn close(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        host::close(self.id);
        let mut open = self.open.lock().expect("vsock state");
        open.count -= 1;
        if open.count == 0 {
            if let Some(waiter) = open.waiter.take() {
                waiter.wake();
            }
        }
    }
}

impl Drop for VirtualStream {
    fn drop(&mut self) {
        self.close();
    }
}

fn host_error(op: &str, code: i32) -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, format!("virtual socket {op} failed ({code})"))
}

impl AsyncRead for VirtualStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let dst = buf.initialize_unfilled();
        match host::recv(self.id, dst) {
            n if n > 0 => {
                buf.advance(n as usize);
                Poll::Ready(Ok(()))
            }
            0 => Poll::Ready(Ok(())),
            // Nothing yet: the response this connection waits on is being
            // produced by another task of this single-threaded runtime, so
            // yield to it and ask to be polled again.
            -1 => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            e => Poll::Ready(Err(host_error("recv", e))),
        }
    }
}

impl AsyncWrite for VirtualStream {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match host::send(self.id, buf) {
            n if n >= 0 => Poll::Ready(Ok(n as usize)),
            e => Poll::Ready(Err(host_error("send", e))),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.close();
        Poll::Ready(Ok(()))
    }
}
