export enum QueueErrorCode {
  UnknownJobType = 'UNKNOWN_JOB_TYPE',
  InvalidPayload = 'INVALID_PAYLOAD',
  InvalidSchedule = 'INVALID_SCHEDULE',
  InvalidMaxAttempts = 'INVALID_MAX_ATTEMPTS',
  InvalidPriority = 'INVALID_PRIORITY',
  InvalidQueueName = 'INVALID_QUEUE_NAME',
  InvalidTimeout = 'INVALID_TIMEOUT',
}

/** A job the queue refuses; the REST layer maps it to a 400 naming `field`. */
export class QueueError extends Error {
  override name = 'QueueError';
  constructor(
    readonly code: QueueErrorCode,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
