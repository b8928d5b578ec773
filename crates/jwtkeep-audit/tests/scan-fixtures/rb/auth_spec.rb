require 'jwt'

RSpec.describe 'tokens' do
  it 'round-trips' do
    t = JWT.encode({ sub: 1 }, 'spec-secret', 'HS256')
    expect(JWT.decode(t, 'spec-secret', true, algorithm: 'HS256')[0]['sub']).to eq(1)
  end
end
