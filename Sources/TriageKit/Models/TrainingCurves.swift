import Corpus
import Foundation

/// Collects the epochs a training job reports, for the training curves of its model card.
final class EpochLog: @unchecked Sendable {
    private let lock = NSLock()
    private var epochs: [ModelCurves.Epoch] = []

    /// `context`, with every epoch event also recorded here.
    func recording(_ context: JobContext) -> JobContext {
        JobContext(events: { [self] event in
            if case .epoch(let e) = event {
                lock.lock()
                epochs.append(ModelCurves.Epoch(member: e.member, epoch: e.epoch, loss: e.loss, validation: e.validation))
                lock.unlock()
            }
            context.events(event)
        }, isCancelled: context.isCancelled)
    }

    /// The recorded epochs with `roc`.
    func curves(roc: [ModelCurves.ROC]) -> ModelCurves {
        lock.lock()
        defer { lock.unlock() }
        return ModelCurves(epochs: epochs, roc: roc)
    }
}
