//! One shutdown signal for the whole process: SIGTERM or Ctrl-C stops the
//! HTTP server and (when they run) the workers and the scheduler. Workers
//! give jobs in progress a grace period (`jobs::Worker::run`); a second
//! signal exits at once.

use tokio::sync::watch;

#[derive(Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

#[derive(Clone)]
pub struct ShutdownTrigger {
    tx: std::sync::Arc<watch::Sender<bool>>,
}

pub fn channel() -> (ShutdownTrigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (
        ShutdownTrigger {
            tx: std::sync::Arc::new(tx),
        },
        Shutdown { rx },
    )
}

impl ShutdownTrigger {
    pub fn trigger(&self) {
        let _ = self.tx.send(true);
    }
}

impl Shutdown {
    /// Resolves once shutdown has been triggered. A dropped trigger never
    /// fires: the process then runs until it is killed.
    pub async fn wait(mut self) {
        while !*self.rx.borrow() {
            if self.rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    pub fn is_triggered(&self) -> bool {
        *self.rx.borrow()
    }
}

/// Triggers shutdown on SIGTERM or SIGINT; a second signal exits the
/// process at once (whoever sends it no longer wants to wait for the
/// grace period).
pub fn on_signals(trigger: ShutdownTrigger) {
    tokio::spawn(async move {
        let mut signals = match Signals::new() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops Consol");
                let _ = tokio::signal::ctrl_c().await;
                trigger.trigger();
                return;
            }
        };
        signals.next().await;
        tracing::info!("shutting down (a second signal exits at once)");
        trigger.trigger();
        signals.next().await;
        tracing::warn!(
            "second signal: exiting now; unfinished jobs are requeued by the next worker"
        );
        std::process::exit(130);
    });
}

/// SIGTERM and SIGINT, as many times as they come.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {},
            _ = self.int.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}
