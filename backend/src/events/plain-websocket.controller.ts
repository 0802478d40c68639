import { Controller, Get, HttpException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { PLAIN_WEBSOCKET_PATH } from '../../../contracts/src/event-map';

/**
 * A plain GET of /ws (a browser tab, curl without websocat): upgrades never reach Express
 * (PlainWebSocketServer takes them), so anything here is told what the path is for.
 */
@Public()
@ApiExcludeController()
@Controller(PLAIN_WEBSOCKET_PATH)
export class PlainWebSocketController {
  @Get()
  explain(): never {
    // 426 Upgrade Required (Nest's HttpStatus has no name for it).
    throw new HttpException(
      `${PLAIN_WEBSOCKET_PATH} is a WebSocket endpoint: connect with Upgrade: websocket (e.g. websocat), or read GET /api/v1/events as Server-Sent Events`,
      426,
    );
  }
}
