import { Link } from 'react-router';

export default function NotFound() {
  return (
    <div>
      <h1>Not found</h1>
      <p>
        Nothing lives at this address. <Link to="/">Back to the overview</Link>
      </p>
    </div>
  );
}
