// The official MAX TypeScript client (@maxhub/max-bot-api), unchanged, as a small bot pointed at
// the local emulator with `baseUrl`. Usage: node client.js BASE_URL TOKEN polling|webhook
// Prints "ready" when it listens; stops on SIGTERM.
'use strict';
const http = require('node:http');
const { Bot, Keyboard } = require('@maxhub/max-bot-api');

const [baseUrl, token, mode] = process.argv.slice(2);
const bot = new Bot(token, { clientOptions: { baseUrl } });

bot.on('bot_started', (ctx) => ctx.reply('Здравствуйте! Вы учитель?', {
  attachments: [Keyboard.inlineKeyboard([[
    Keyboard.button.callback('Да', 'yes'),
    Keyboard.button.callback('Нет', 'no'),
  ]])],
}));
bot.on('message_callback', (ctx) => ctx.answerOnCallback({
  notification: `Вы ответили: ${ctx.callback.payload}`,
}));
bot.on('message_created', (ctx) => ctx.reply(`Эхо: ${ctx.message.body.text}`));

async function main() {
  if (mode === 'polling') {
    bot.start({ mode: 'polling' }).catch((error) => {
      console.error(error);
      process.exit(1);
    });
    process.stdout.write('ready\n');
  } else {
    // The client's own webhook server always subscribes an https:// URL; the emulator delivers
    // plain http on loopback, so serve its callback and subscribe the http URL through its API.
    bot.botInfo = await bot.api.getMyInfo();
    const secret = 'ts_client_secret';
    const callback = bot.webhookCallback({ domain: '127.0.0.1', path: '/ts-hook', secret });
    const server = http.createServer(callback);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}/ts-hook`;
    await bot.api.subscribe(url, secret);
    process.stdout.write('ready\n');
    process.on('SIGTERM', () => server.close());
  }
  process.on('SIGTERM', () => {
    bot.stopPolling();
    process.exit(0);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
