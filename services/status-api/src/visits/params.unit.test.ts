import { HttpError } from '@retail-pulse/shared/http';
import { parseVisitsParams } from './params';

describe('parseVisitsParams', () => {
  it('reads whole days inclusively', () => {
    expect(parseVisitsParams({ area: '71', storeid: 'S1', startdate: '2024-01-21', enddate: '2024-01-22' })).toEqual({
      area: '71',
      storeId: 'S1',
      from: new Date('2024-01-21T00:00:00.000Z'),
      until: new Date('2024-01-23T00:00:00.000Z'),
    });
  });

  it('reads date-times with offsets as instants', () => {
    expect(parseVisitsParams({ startdate: '2024-01-21T10:00:00+05:30' })).toEqual({
      from: new Date('2024-01-21T04:30:00.000Z'),
    });
  });

  it('treats empty parameters as absent', () => {
    expect(parseVisitsParams({ area: '', storeid: ' ' })).toEqual({});
  });

  it.each([
    [{ startdate: '2024-13-01' }, 'startdate is not a valid date: 2024-13-01'],
    [
      { enddate: 'tomorrow' },
      'enddate must be an RFC 3339 date (2024-01-21) or date-time (2024-01-21T16:23:40Z): tomorrow',
    ],
    [{ startdate: '2024-01-02', enddate: '2024-01-01' }, 'startdate must not be after enddate'],
    [{ storeid: ['a', 'b'] }, 'storeid must be given once'],
    [{ storeid: 'S1\r\nX' }, 'storeid must not contain control characters'],
    [{ storeid: 'S1\u202E' }, 'storeid must not contain control characters'],
    [{ area: '7100015\u001b[2J' }, 'area must not contain control characters'],
    [{ storeid: 'S\uD8001' }, 'storeid must not contain control characters'],
    [{ storeid: 'S 1' }, "storeid must be 1 to 64 characters, each a letter A-Z or a-z, a digit, '-' or '_'"],
    [{ area: 'x'.repeat(65) }, "area must be 1 to 64 characters, each a letter A-Z or a-z, a digit, '-' or '_'"],
    [{ startdate: '2024-01-21\u0000' }, 'startdate must not contain control characters'],
  ])('refuses %j', (query, message) => {
    expect(() => parseVisitsParams(query)).toThrow(HttpError);
    expect(() => parseVisitsParams(query)).toThrow(message);
  });
});
