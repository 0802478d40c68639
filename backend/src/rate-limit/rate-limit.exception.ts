import { HttpException, HttpStatus } from '@nestjs/common';
import { type RateLimitPolicy } from './bucket-window';

/** A tenant's bucket is empty: 429 in the API's one error shape (the guard sets Retry-After). */
export class RateLimitExceededException extends HttpException {
  constructor({ perSecond, burst }: RateLimitPolicy) {
    super(
      {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        error: 'Too Many Requests',
        message: `rate limit exceeded: ${perSecond} requests per second, burst ${burst}`,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
