import 'reflect-metadata';
import { type AddressInfo } from 'node:net';
import { Body, Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';

/** The floor of a platform: one POST route, Nest's default body parser, nothing else. */
@Controller()
class EchoController {
  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: { n?: unknown }) {
    return { ok: true, n: body.n };
  }
}

@Module({ controllers: [EchoController] })
class BareModule {}

/**
 * `node bench-platform-server.js express|fastify`, forked by bench:platforms: a bare Nest app
 * (no auth, no database, no logging) on loopback; tells its parent the port, and exits with it.
 */
async function main(): Promise<void> {
  const platform = process.argv[2];
  if (platform !== 'express' && platform !== 'fastify') throw new Error(`unknown platform ${platform}`);
  const adapter = platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
  const app = await NestFactory.create(BareModule, adapter, { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.on('disconnect', () => process.exit(0));
  process.send!({ port });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
