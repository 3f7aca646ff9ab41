import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser';

describe('SseParser', () => {
  it('parses events with id, event name and multi-line data', () => {
    const parser = new SseParser();
    const events = parser.push(
      'id: 5.1\nevent: log\ndata: line one\ndata: line two\n\n: keep-alive\n\nevent: end\ndata: {}\n\n',
    );
    expect(events).toEqual([
      { event: 'log', data: 'line one\nline two', id: '5.1' },
      { event: 'end', data: '{}', id: undefined },
    ]);
  });

  it('gives the same events however the text is split, CRLF split included', () => {
    const text =
      'id: 1.0\r\nevent: log\r\ndata: héllo\r\n\r\nid: 2.0\revent: state\rdata: {"to":"running"}\r\r';
    const whole = new SseParser().push(text);
    expect(whole).toHaveLength(2);
    for (let size = 1; size <= 7; size += 1) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) {
        events.push(...parser.push(text.slice(i, i + size)));
      }
      expect(events).toEqual(whole);
    }
  });

  it('drops events without data, keeps empty data lines, strips one leading space only', () => {
    const parser = new SseParser();
    expect(parser.push('event: log\n\ndata:\ndata:  two spaces\n\n')).toEqual([
      { event: 'message', data: '\n two spaces', id: undefined },
    ]);
  });
});
