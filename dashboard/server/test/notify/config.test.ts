// NOTIFY_* configuration: defaults, channels off without their URL, every problem listed.
import { describe, expect, it } from 'vitest';
import { EnvReader } from '@city/shared';
import { authorizationHeader, readNotifyConfig, NOTIFY_DEFAULTS } from '../../src/notify/config.ts';
import { renderSmsBody } from '../../src/notify/sms.ts';

const read = (env: Record<string, string>) => {
  const reader = new EnvReader(env);
  return { config: readNotifyConfig(reader), problems: reader.problems };
};

describe('readNotifyConfig', () => {
  it('nothing set: both channels off, the defaults, no problem', () => {
    const { config, problems } = read({});
    expect(problems).toEqual([]);
    expect(config).not.toHaveProperty('smtpUrl');
    expect(config).not.toHaveProperty('smsUrl');
    expect(config).toMatchObject({ maxAttempts: 5, retryBaseMs: 30_000, reminderBeforeMs: 86_400_000, smsBodyTemplate: NOTIFY_DEFAULTS.smsBodyTemplate });
  });

  it('both channels on', () => {
    const { config, problems } = read({
      NOTIFY_SMTP_URL: 'smtps://mailer:secret@mail.city.example',
      NOTIFY_EMAIL_FROM: 'City reports <reports@city.example>',
      NOTIFY_SMS_URL: 'https://sms.example/api/send',
      NOTIFY_SMS_AUTH: 'Basic city:s3cret',
      NOTIFY_PUBLIC_URL: 'https://city.example/',
      NOTIFY_MAX_ATTEMPTS: '3',
    });
    expect(problems).toEqual([]);
    expect(config).toMatchObject({ smtpUrl: 'smtps://mailer:secret@mail.city.example', smsUrl: 'https://sms.example/api/send', smsAuthorization: 'Basic Y2l0eTpzM2NyZXQ=', publicUrl: 'https://city.example', maxAttempts: 3 });
  });

  it('lists every problem', () => {
    const { problems } = read({
      NOTIFY_SMTP_URL: 'http://mail',
      NOTIFY_SMS_URL: 'https://sms.example',
      NOTIFY_SMS_BODY_TEMPLATE: '{"to": {{to}}, "text": "{{text}}"}',
      NOTIFY_MAX_ATTEMPTS: '0',
      NOTIFY_RETRY_BASE_MS: 'soon',
      NOTIFY_OPERATOR_EMAIL: 'desk',
    });
    expect(problems).toEqual([
      'NOTIFY_SMTP_URL: expected a URL starting with smtp: or smtps: (got "http://mail")',
      expect.stringMatching(/^NOTIFY_SMS_BODY_TEMPLATE: expected JSON once/),
      expect.stringMatching(/^NOTIFY_PUBLIC_URL: required when/),
      'NOTIFY_OPERATOR_EMAIL: expected an address like desk@city.example (got "desk")',
      'NOTIFY_MAX_ATTEMPTS: expected an integer in 1..100 (got "0")',
      'NOTIFY_RETRY_BASE_MS: expected an integer in 1..86400000 (got "soon")',
    ]);
  });

  it('an SMTP URL needs a From address; a template needs {{text}}', () => {
    const { problems } = read({ NOTIFY_SMTP_URL: 'smtp://mail:25', NOTIFY_PUBLIC_URL: 'https://city.example', NOTIFY_SMS_BODY_TEMPLATE: '{"to":"{{to}}"}' });
    expect(problems).toEqual([expect.stringMatching(/^NOTIFY_EMAIL_FROM: required/), expect.stringMatching(/^NOTIFY_SMS_BODY_TEMPLATE: expected JSON with a \{\{text\}\}/)]);
  });
});

describe('SMS body and auth', () => {
  it('fills the template JSON-escaped', () => {
    const body = renderSmsBody('{"messages":[{"destination":"{{to}}","content":"{{text}}"}]}', '+1 312', 'say "hi"\nnow');
    expect(JSON.parse(body)).toEqual({ messages: [{ destination: '+1 312', content: 'say "hi"\nnow' }] });
  });

  it.each([
    ['Bearer xyz', 'Bearer xyz'],
    ['Basic user:pass', `Basic ${Buffer.from('user:pass').toString('base64')}`],
    ['Basic dXNlcjpwYXNz', 'Basic dXNlcjpwYXNz'],
    ['ApiKey abc', 'ApiKey abc'],
  ])('%s -> %s', (given, header) => {
    expect(authorizationHeader(given)).toBe(header);
  });
});
